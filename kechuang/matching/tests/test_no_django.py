import subprocess
import sys


def test_the_engine_imports_no_django():
    code = (
        "import sys\n"
        "import kechuang.matching, kechuang.matching.embedded, kechuang.matching.postgres\n"
        "import kechuang.matching.bench, kechuang.matching.encoders\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
