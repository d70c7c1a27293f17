"""LoRA fine-tuning: data preparation, the training recipe, checkpoints and evaluation."""
