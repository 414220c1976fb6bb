from mlcards.cli import main

main()
