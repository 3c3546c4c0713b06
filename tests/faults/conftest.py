import sys
from pathlib import Path

# The fault tests share the platform harness of test_crashes_and_replays (imported by name).
sys.path.insert(0, str(Path(__file__).parent))
