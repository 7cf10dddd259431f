"""The e2e tests' JavaScript dependencies: each folder's package-lock.json, installed with `npm ci`
once per build tree (a stamp in NB_BINARY_DIR/npm-ci names the lock it installed). A failed install
raises at once with npm's own message: npm retries a failed fetch once, briefly, so an unreachable
registry fails in seconds instead of minutes."""
import fcntl, hashlib, os, shutil, subprocess

from nimbus_server import BINARY_DIR, aws_env

NPM_CI = ["npm", "ci", "--no-audit", "--no-fund", "--fetch-retries=1", "--fetch-retry-mintimeout=1000",
          "--fetch-retry-maxtimeout=3000", "--fetch-timeout=60000"]


def npm_ci(folder, stamp_dir=None, env=None, timeout=600):
    """Returns folder's node_modules, installed from its lock; AssertionError with npm's stderr if not."""
    # node and npm are installed by tools/deps.sh: their absence is a failure, not a skip
    assert shutil.which("npm"), "npm is missing (tools/deps.sh installs it)"
    lock = os.path.join(folder, "package-lock.json")
    with open(lock, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stamp_dir = stamp_dir or os.path.join(BINARY_DIR, "npm-ci")
    os.makedirs(stamp_dir, exist_ok=True)
    stamp = os.path.join(stamp_dir, os.path.basename(os.path.normpath(folder)) + ".sha256")
    modules = os.path.join(folder, "node_modules")
    # two tests of one folder running at once (ctest -j) install it once
    with open(stamp + ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if os.path.isdir(modules) and os.path.exists(stamp) and open(stamp).read() == digest:
            return modules
        r = subprocess.run(NPM_CI, cwd=folder, capture_output=True, text=True, timeout=timeout, env=env)
        if r.returncode != 0:
            raise AssertionError("npm ci in %s failed (exit %d):\n%s" % (folder, r.returncode, r.stderr.strip()[-3000:]))
        with open(stamp, "w") as f:
            f.write(digest)
    return modules


def run_node_script(folder, script, *args, timeout=120):
    """Runs node on folder/script (its dependencies installed by npm_ci first) with the test
    credentials' environment: the finished process, output captured as text."""
    # node is installed by tools/deps.sh: its absence is a failure, not a skip
    assert shutil.which("node"), "node is missing (tools/deps.sh installs it)"
    npm_ci(folder)
    return subprocess.run(["node", os.path.join(folder, script), *args], capture_output=True, text=True,
                          timeout=timeout, env=aws_env())
