from tilts.cli import main

main()
