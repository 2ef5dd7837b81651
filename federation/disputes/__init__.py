"""Due process: member disputes, public appeals, their deadlines and decisions."""
