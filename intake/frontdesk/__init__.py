"""The front desk: the day, search, booking, intake links, printed acknowledgments."""
