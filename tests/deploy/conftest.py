import sys
from pathlib import Path

# The tests here share k8s_render (pytest runs with --import-mode=importlib, which puts no test
# folder on the path).
sys.path.insert(0, str(Path(__file__).parent))
