"""quizgen: randomized, verified exam and practice questions about convolutional neural networks."""
__version__ = "0.1.0"
