from brevefeed.cli import main

main()
