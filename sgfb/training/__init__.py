"""Training: the loop (with exact resume and DDP) and one recipe per model (scene-graph
detector and relation head, SGFB action model, few-shot, bank-only)."""
