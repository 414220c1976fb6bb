from mlcards.launch import main

main()
