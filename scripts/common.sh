# Shared by scripts/run and scripts/test: say what we do, install what is
# missing (idempotently), and keep the build cache outside the clone.
set -euo pipefail

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/walkthrough/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Install Debian packages that are not installed yet.
apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        if [ -x "$HOME/.cargo/bin/cargo" ]; then
            export PATH="$HOME/.cargo/bin:$PATH"
        else
            apt_install curl ca-certificates build-essential pkg-config
            say "installing the Rust toolchain (rustup, stable)"
            curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
            export PATH="$HOME/.cargo/bin:$PATH"
        fi
    fi
    command -v cc >/dev/null 2>&1 || apt_install build-essential pkg-config
    command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
    say "using $(cargo --version); build cache in $CARGO_TARGET_DIR"
}

# Node.js and the UI's npm packages (TypeScript, playwright-core), then the
# compiled front ends in ui/dist. npm ci only when package-lock.json changed.
ensure_ui() {
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
    local stamp="$ROOT/ui/node_modules/.walkthrough-lock"
    if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/ui/package-lock.json" "$stamp"; then
        say "installing the UI's npm packages (npm ci in ui/)"
        (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$ROOT/ui/package-lock.json" "$stamp"
    fi
    say "building the web front ends (TypeScript → ui/dist)"
    (cd "$ROOT/ui" && npm run --silent build)
}

# What the server itself needs: poppler's pdftoppm draws the first page of
# an uploaded PDF floor plan as an image.
ensure_server_tools() {
    apt_install poppler-utils
}

# Debian's Chromium for the browser tests (playwright-core drives it; no
# browser download). WALKTHROUGH_CHROMIUM tells the tests where it is.
# Poppler's pdftotext, pdfimages and pdftoppm read the printed reports back.
ensure_chromium() {
    apt_install chromium fonts-noto-cjk poppler-utils
    export WALKTHROUGH_CHROMIUM="${WALKTHROUGH_CHROMIUM:-/usr/bin/chromium}"
}

# What the tablet app (Tauri 2 on WebKitGTK) needs to build, and what its
# end-to-end test needs to drive it: Xvfb, WebKitWebDriver, tauri-driver,
# ImageMagick for screenshots.
ensure_tauri() {
    apt_install build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev \
        libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev \
        libxdo-dev xvfb xauth webkit2gtk-driver imagemagick fonts-noto-cjk
    if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
        say "installing tauri-driver (cargo install tauri-driver --locked --version ^2)"
        cargo install tauri-driver --locked --version '^2'
    fi
}

# nginx from Debian's packages: the TLS proxy in front of the server in
# tests/tests/proxy.rs (run in the foreground by the test; the package's own
# service is not needed).
ensure_proxy() {
    apt_install nginx
}

# openapi-spec-validator (PyPI) in a venv of the project's own, for the
# test that validates the server's OpenAPI document (sync-server/tests/openapi.rs).
ensure_openapi_validator() {
    local venv="$HOME/.cache/walkthrough/venv"
    if [ -x "$venv/bin/openapi-spec-validator" ]; then return 0; fi
    command -v python3 >/dev/null 2>&1 || apt_install python3
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3-venv
    say "installing openapi-spec-validator (pip, in $venv)"
    if [ ! -x "$venv/bin/pip" ]; then
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<1'
}
