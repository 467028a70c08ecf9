from imrparse.cli import main

main()
