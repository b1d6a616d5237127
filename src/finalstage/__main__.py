from finalstage.cli import main

main()
