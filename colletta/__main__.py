from colletta.cli import main

main()
