from xl_report.cli import main

main()
