"""`python manage.py demo`: the whole product on one machine, started and stopped together.

Migrates the database, creates a demo operator and a demo tenant owner, starts two sandbox AmeriCommerce
stores and connects the demo tenant to both, one by each road: the first (500 orders) through the
ShipStation add-on's XML page (username and password), the second (200 other orders) through
AmeriCommerce's REST API (an access token), so a newcomer sees both. Starts the carrier sandbox (UPS and
USPS tracking, its clock 1440× fast: a day a minute) with demo carrier accounts pointed at it. Then
installs the schedules, starts a django-q2 worker and serves the site on http://127.0.0.1:8000. Ctrl-C
stops all. A shipment made with UPS or USPS is then followed: out for delivery and delivered within
minutes, the delivery e-mail printed by the worker (the console mail backend).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from stores.models import Membership, RestAuth, Road, Role, StatusMapping, Store, Storefront, Tenant
from stores.services import store_create, store_update, storefront_record

OPERATOR = ("operator", "outbound-operator")
OWNER = ("demo", "outbound-demo")
DEMO_STORE = "Demo AmeriCommerce store"
DEMO_REST_STORE = "Demo AmeriCommerce store (REST API)"
REST_LINE = "Sandbox AmeriCommerce REST API:"
# The sandbox's custom statuses, typed without their commas, as status mapping lists require.
DEMO_MAPPING_EXTRA = {
    "awaiting_shipment": ", Approved Pending Shipping, Awaiting Pickup Local",
    "shipped": ", Completed Shipped",
}  # "Gift Wrap Queue" stays unmapped, to show how an unmapped status surfaces


class Command(BaseCommand):
    help = "Run the demo: database, demo users, sandbox store, worker and web server."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("DEMO_PORT") or 8000),
            help="Port of the web site (default 8000, or $DEMO_PORT).",
        )
        parser.add_argument(
            "--sandbox-port",
            type=int,
            default=int(os.environ.get("DEMO_SANDBOX_PORT") or 8765),
            help="Port of the sandbox AmeriCommerce store (default 8765, or $DEMO_SANDBOX_PORT).",
        )
        parser.add_argument(
            "--rest-sandbox-port",
            type=int,
            default=int(os.environ.get("DEMO_REST_SANDBOX_PORT") or 0) or None,
            help="Port of the second sandbox store, reached through its REST API (default: the "
            "sandbox port + 1, or $DEMO_REST_SANDBOX_PORT; 0 for any free port).",
        )
        parser.add_argument(
            "--carrier-port",
            type=int,
            default=int(os.environ.get("DEMO_CARRIER_PORT") or 8767),
            help="Port of the carrier sandbox (default 8767, or $DEMO_CARRIER_PORT).",
        )
        parser.add_argument("--orders", type=int, default=500)
        parser.add_argument("--no-worker", action="store_true", help="Do not start a django-q2 worker.")
        parser.add_argument("--setup-only", action="store_true", help="Prepare data and exit.")

    def handle(self, *args, **opts):
        self.children: list[subprocess.Popen] = []
        # Checked before anything starts: a busy port must stop the demo with its name and the way out.
        _require_free_port(opts["sandbox_port"], "--sandbox-port", "DEMO_SANDBOX_PORT", "sandbox store")
        _require_free_port(opts["carrier_port"], "--carrier-port", "DEMO_CARRIER_PORT", "carrier sandbox")
        if not opts["setup_only"]:
            _require_free_port(opts["port"], "--port", "DEMO_PORT", "web server")
        rest_port = opts["rest_sandbox_port"]
        if rest_port is None:
            rest_port = opts["sandbox_port"] + 1 if opts["sandbox_port"] else 0  # 0: any free port, as asked
        _require_free_port(rest_port, "--rest-sandbox-port", "DEMO_REST_SANDBOX_PORT", "second sandbox store")
        call_command("migrate", interactive=False, verbosity=0)
        # The REST store's webhooks call the demo's web server (real time); the worker and the web server
        # started below inherit it.
        public = os.environ.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{opts['port']}"
        os.environ["PUBLIC_BASE_URL"] = public
        settings.PUBLIC_BASE_URL = public.rstrip("/")
        tenant = self._users()
        try:
            sandbox_line = self._start_sandbox(opts["sandbox_port"], opts["orders"])
            self._store(tenant, sandbox_line)
            rest_line = self._start_sandbox(rest_port, max(1, opts["orders"] * 2 // 5), seed=2)
            self._rest_store(tenant, rest_line)
            carrier_url = self._start_carriers(opts["carrier_port"])
            self._carrier_accounts(tenant, carrier_url)
            self._shipping_setup(tenant)
            if opts["setup_only"]:
                return
            self._schedules()
            if not opts["no_worker"]:
                self._spawn([sys.executable, "manage.py", "qclusters"], "workers (one cluster per queue)")
            web = self._spawn(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{opts['port']}", "--noreload"], "web server"
            )
            self._await_listening(web, opts["port"])
            self._banner(opts["port"], sandbox_line, rest_line, carrier_url)
            stopped = self._wait()
            if stopped is not None:
                raise CommandError(
                    f"The {stopped.outbound_name} stopped (exit {stopped.returncode}); the demo stopped with it."
                )
        finally:
            self._stop_all()

    # --- data ------------------------------------------------------------------------------------
    @transaction.atomic
    def _users(self) -> Tenant:
        User = get_user_model()
        operator, _ = User.objects.get_or_create(username=OPERATOR[0], defaults={"email": "operator@example.com"})
        operator.is_staff = operator.is_superuser = True
        operator.set_password(OPERATOR[1])
        operator.save()
        owner, _ = User.objects.get_or_create(username=OWNER[0], defaults={"email": "demo@example.com"})
        owner.set_password(OWNER[1])
        owner.save()
        tenant, _ = Tenant.objects.get_or_create(slug="demo", defaults={"name": "Demo Merchant"})
        Membership.objects.update_or_create(tenant=tenant, user=owner, defaults={"role": Role.OWNER})
        return tenant

    def _start_sandbox(self, port: int, orders: int, seed: int = 1) -> dict[str, str]:
        """Start a sandbox store; what its two first lines say: the XML endpoint with its username and
        password, and the REST API root with its token (rest_url, token)."""
        proc = self._spawn(
            [
                sys.executable,
                "manage.py",
                "sandbox_store",
                "--port",
                str(port),
                "--orders",
                str(orders),
                "--seed",
                str(seed),
            ],
            "sandbox store",
            stdout=subprocess.PIPE,
        )
        line = proc.stdout.readline().decode().strip() if proc.stdout else ""
        if not line.startswith("Sandbox AmeriCommerce store:"):
            raise SystemExit(f"The sandbox store did not start (port {port} busy?): {line!r}")
        url, *pairs = line.split(": ", 1)[1].split()
        info = {"endpoint_url": url, **dict(p.split("=", 1) for p in pairs)}
        self.stdout.write(line)
        rest = proc.stdout.readline().decode().strip() if proc.stdout else ""
        if rest.startswith(REST_LINE):
            rest_url, *pairs = rest.split(": ", 1)[1].split()
            info.update({"rest_url": rest_url, **dict(p.split("=", 1) for p in pairs)})
            self.stdout.write(rest)
        return info

    def _store(self, tenant: Tenant, sandbox: dict[str, str]) -> Store:
        from urllib.parse import urlsplit

        parts = urlsplit(sandbox["endpoint_url"])
        base, path = f"{parts.scheme}://{parts.netloc}", parts.path
        store = Store.objects.for_tenant(tenant).filter(name=DEMO_STORE).first()
        if store is None:
            mapping = {
                name: StatusMapping._meta.get_field(name).default + extra for name, extra in DEMO_MAPPING_EXTRA.items()
            }
            store = store_create(
                tenant=tenant,
                name=DEMO_STORE,
                url=base,
                endpoint_path=path,
                username=sandbox["username"],
                password=sandbox["password"],
                import_interval_minutes=1,
                mapping=mapping,
            )
            # The first import reaches back over the sandbox's 60 days of orders; the worker runs it.
            from datetime import timedelta

            from django.utils import timezone

            from orders.services import import_request

            import_request(store=store, trigger="manual", since=timezone.now() - timedelta(days=90))
        else:
            store_update(
                store=store, url=base, endpoint_path=path, username=sandbox["username"], password=sandbox["password"]
            )
        for name, shipped in (("Main Store", "Shipped"), ("Wholesale", "Shipped"), ("Outlet", "Completed Shipped")):
            Storefront.objects.get_or_create(store=store, name=name, defaults={"shipped_status": shipped})
        return store

    def _rest_store(self, tenant: Tenant, sandbox: dict[str, str]) -> Store | None:
        """The second demo store, on the REST road: the store URL is the API root without /api/v1."""
        if "rest_url" not in sandbox or "token" not in sandbox:
            self.stderr.write("The second sandbox store has no REST API line; its store is not connected.")
            return None
        base = sandbox["rest_url"].removesuffix("/api/v1")
        store = Store.objects.for_tenant(tenant).filter(name=DEMO_REST_STORE).first()
        if store is None:
            mapping = {
                name: StatusMapping._meta.get_field(name).default + extra for name, extra in DEMO_MAPPING_EXTRA.items()
            }
            store = store_create(
                tenant=tenant,
                name=DEMO_REST_STORE,
                url=base,
                road=Road.REST,
                rest_auth=RestAuth.TOKEN,
                api_token=sandbox["token"],
                import_interval_minutes=1,
                mapping=mapping,
                currency="USD",  # the REST API says no currency: the sandbox's sells in dollars...
            )
            storefront_record(store=store, name="Outlet", currency="CAD")  # ...but for its Outlet storefront
            from datetime import timedelta

            from django.utils import timezone

            from orders.services import import_request

            import_request(store=store, trigger="manual", since=timezone.now() - timedelta(days=90))
        else:
            store_update(store=store, url=base, road=Road.REST, rest_auth=RestAuth.TOKEN, api_token=sandbox["token"])
        return store

    def _start_carriers(self, port: int) -> str:
        proc = self._spawn(
            [sys.executable, "-m", "sandbox.carriers", "--port", str(port), "--speed", "1440"],
            "carrier sandbox",
            stdout=subprocess.PIPE,
        )
        line = proc.stdout.readline().decode().strip() if proc.stdout else ""
        if not line.startswith("Carrier sandbox:"):
            raise SystemExit(f"The carrier sandbox did not start (port {port} busy?): {line!r}")
        self.stdout.write(line)
        return line.split(": ", 1)[1].split()[0]

    def _carrier_accounts(self, tenant: Tenant, url: str) -> None:
        """UPS and USPS accounts for the demo tenant, pointed at the carrier sandbox (operators only can
        set a server URL; the demo is one)."""
        from carriers.models import CarrierAccount
        from carriers.services import carrier_account_create, carrier_account_update
        from sandbox.carriers.server import CLIENT_ID, CLIENT_SECRET

        for carrier in ("UPS", "USPS", "FedEx"):
            account = CarrierAccount.objects.for_tenant(tenant).filter(carrier=carrier).first()
            if account is None:
                carrier_account_create(
                    tenant=tenant,
                    carrier=carrier,
                    name=f"Demo {carrier} (carrier sandbox)",
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    test_mode=True,
                    server_url=url,
                    account_number="DEMO-1",
                    use_for_labels=True,  # the demo sells labels from the carrier sandbox (issue 29)
                )
            else:
                carrier_account_update(
                    account=account,
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    server_url=url,
                    is_active=True,
                    account_number=account.account_number or "DEMO-1",
                    use_for_labels=True,
                )

    def _shipping_setup(self, tenant: Tenant) -> None:
        """A ship-from location, the default of every demo store, and two package presets (issue 29); made
        once, kept as the merchant edits them afterwards."""
        from carriers.selectors import package_preset_list, ship_from_list, store_defaults
        from carriers.services import package_preset_create, ship_from_create, store_default_ship_from_set
        from stores.selectors import store_list

        warehouse = ship_from_list(tenant=tenant).first() or ship_from_create(
            tenant=tenant,
            name="Demo warehouse",
            company="Demo Goods",
            contact_name="Sam Shipper",
            phone="512-555-0100",
            street1="1200 Industrial Parkway",
            city="Austin",
            state="TX",
            postal_code="78744",
            country="US",
        )
        defaults = store_defaults(tenant=tenant)
        for store in store_list(tenant=tenant):
            if store.pk not in defaults:
                store_default_ship_from_set(store=store, ship_from=warehouse)
        if not package_preset_list(tenant=tenant).exists():
            package_preset_create(
                tenant=tenant, name="Small box", length=10, width=8, height=4, empty_weight=6, is_default=True
            )
            package_preset_create(tenant=tenant, name="Medium box", length=16, width=12, height=8, empty_weight=12)

    def _schedules(self) -> None:
        try:
            call_command("setup_schedules", verbosity=0)
        except Exception as exc:  # noqa: BLE001  (the command arrives with the import engine)
            self.stderr.write(f"Schedules not installed: {exc}")
            return
        # The demo's parcels live 1440× fast: tracking looks every minute (TRACKING_POLL_MINUTES=1 below).
        from django_q.models import Schedule

        Schedule.objects.filter(name="outbound-tracking-poll").update(minutes=1)

    # --- processes ---------------------------------------------------------------------------------
    def _spawn(self, argv: list[str], name: str, **kwargs) -> subprocess.Popen:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault("TRACKING_POLL_MINUTES", "1")  # the carrier sandbox's clock runs 1440× fast
        proc = subprocess.Popen(argv, cwd=settings.BASE_DIR, env=env, start_new_session=True, **kwargs)
        proc.outbound_name = name  # type: ignore[attr-defined]
        self.children.append(proc)
        return proc

    def _banner(
        self, port: int, sandbox: dict[str, str], rest: dict[str, str] | None = None, carrier_url: str = ""
    ) -> None:
        rest_line = ""
        if rest and "rest_url" in rest:
            rest_line = f"  Sandbox REST API:  {rest['rest_url']} (the second store's road)\n"
        wizard = _wizard_lines(sandbox, rest)
        self.stdout.write(
            self.style.SUCCESS(
                "\nOutbound demo is running.\n"
                f"  Portal:            http://127.0.0.1:{port}/\n"
                f"  Operators' admin:  http://127.0.0.1:{port}/admin/\n"
                f"  Demo operator:     username={OPERATOR[0]} password={OPERATOR[1]}"
                " (the admin asks for an authenticator app first)\n"
                f"  Demo tenant owner: username={OWNER[0]} password={OWNER[1]}\n"
                f"  Sandbox store:     {sandbox['endpoint_url']} (the first store's road: the ShipStation add-on)\n"
                f"{rest_line}"
                f"{wizard}"
                f"  Carrier sandbox:   {carrier_url} (UPS, USPS and FedEx: Get rates on an order and buy a label,\n"
                "                     then watch its order page: out for delivery, then delivered and e-mailed,\n"
                "                     within minutes)\n"
                "Press Ctrl-C to stop everything.\n"
            )
        )

    def _await_listening(self, proc: subprocess.Popen, port: int, timeout: float = 30.0) -> None:
        """Wait until the web server accepts connections; fail (never announce a demo) if it died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CommandError(
                    f"The web server did not start on port {port} (exit {proc.returncode}). If the "
                    f"port is taken, choose another with --port or DEMO_PORT."
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"The web server did not answer on port {port} within {timeout:.0f} s.")

    def _wait(self) -> subprocess.Popen | None:
        """Block until Ctrl-C, a stop signal or the parent going away (None), or a child dying (it)."""
        stop = {"now": False}

        def _handler(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGHUP, _handler)
        parent = os.getppid()
        try:
            while not stop["now"]:
                if os.getppid() != parent:  # whoever started us (make, a shell) is gone: stop with it
                    return None
                for proc in self.children:
                    if proc.poll() is not None:
                        return proc
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        return None

    def _stop_all(self) -> None:
        for proc in reversed(self.children):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if self.children:
            self.stdout.write("Demo stopped.")


def _wizard_lines(sandbox: dict[str, str], rest: dict[str, str] | None) -> str:
    """What the connect wizard asks for each sandbox store (its store URL, the add-on's username and password,
    the API token), so a newcomer can connect one by hand: in another workspace, or after deleting it (a
    tenant connects a store once)."""
    from urllib.parse import urlsplit

    def site(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    lines = "  To connect a sandbox store yourself (Stores › Connect a store, in another workspace, or after\n"
    lines += "  deleting the demo's own), type in the wizard:\n"
    if "username" in sandbox and "password" in sandbox:
        lines += (
            f"    ShipStation add-on: store URL {site(sandbox['endpoint_url'])}  "
            f"username={sandbox['username']}  password={sandbox['password']}\n"
        )
    if rest and "rest_url" in rest and "token" in rest:
        lines += f"    API token:          store URL {site(rest['rest_url'])}  token={rest['token']}\n"
    return lines


def _require_free_port(port: int, option: str, variable: str, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: only a listener blocks
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise CommandError(
                f"Port {port} on 127.0.0.1 is already in use, so the demo's {what} cannot start. Choose another "
                f'port with {option} (make demo ARGS="{option} {port + 1}") or the {variable} environment '
                "variable."
            ) from None
