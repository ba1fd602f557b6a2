from ossbot.cli import main

main()
