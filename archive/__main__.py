"""``python -m archive`` runs the readout CLI."""

from archive.cli import main

if __name__ == "__main__":
    main()
