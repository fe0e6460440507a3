"""Turn the rendered report into the finished PDF: tags, annexes, watermark, embedded data, output."""
