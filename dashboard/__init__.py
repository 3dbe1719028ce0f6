"""Contact-centre mirror dashboard: the customer's and the agent's experience side by side."""
