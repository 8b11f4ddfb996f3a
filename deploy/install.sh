#!/bin/sh
# Installs the dashboard from this unpacked bundle, with no network: a Python 3.11 virtual environment holding the
# bundled wheels for this machine's architecture (wheels/<arch>/requirements.lock, every one checked by its sha256),
# the application and the commands bin/dashboard, bin/analytics and bin/alert. Each version goes to
# PREFIX/releases/<version>; PREFIX/current points at the one installed last (the service runs it), so a failed
# install leaves the running version as it was. Data is never here: see README "Running it on an intranet".
#
#     sudo ./install.sh [PREFIX]        PREFIX defaults to /opt/political-ecology-dashboard
#
# PYTHON=/path/to/python3.11 picks the interpreter (default: python3.11, else python3 when it is 3.11).
set -eu
umask 022

here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:-/opt/political-ecology-dashboard}
version=$(cat "$here/VERSION")

case $(uname -m) in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) echo "不支持的处理器架构 $(uname -m)：本安装包只含 x86_64 和 aarch64 的依赖包" >&2; exit 1 ;;
esac
wheels=$here/wheels/$arch
if [ ! -f "$wheels/requirements.lock" ]; then
    echo "本安装包不含 $arch 的依赖包，请在联网的机器上用 make bundle 重新制作" >&2
    exit 1
fi
if [ -s "$wheels/MISSING.txt" ]; then
    echo "本安装包缺少以下依赖包的 $arch 版本，无法在本机安装：" >&2
    cat "$wheels/MISSING.txt" >&2
    exit 1
fi

python=${PYTHON:-}
if [ -z "$python" ]; then
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            python=$candidate
            break
        fi
    done
fi
if [ -z "$python" ] || ! "$python" -c 'import ensurepip, sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' \
    2>/dev/null; then
    echo "需要 Python 3.11 及其 venv 模块：请先安装（如 Debian/Ubuntu 的 python3.11 python3.11-venv），" \
        "或用 PYTHON=/path/to/python3.11 指明" >&2
    exit 1
fi

release=$prefix/releases/$version
echo "安装 $version（$arch）到 $release …"
rm -rf "$release"
mkdir -p "$release"
"$python" -m venv "$release/venv"
# --isolated: no pip configuration of this machine (an index, a mirror) takes part; --no-index: the wheels here only
"$release/venv/bin/python" -m pip install --isolated --no-index --disable-pip-version-check --quiet \
    --find-links "$wheels" --find-links "$here/wheels/any" --require-hashes -r "$wheels/requirements.lock"
"$release/venv/bin/python" -m pip check --disable-pip-version-check --isolated >/dev/null
cp -R "$here/app" "$release/app"
cp -R "$here/deploy" "$release/deploy"
mkdir -p "$release/bin"
cp "$here/deploy/bin/"* "$release/bin/"
chmod 755 "$release/bin/"*
# compiled now: the service may not write into the application folder
"$release/venv/bin/python" -m compileall -q "$release/app" >/dev/null

ln -sfn "releases/$version" "$prefix/current.new"
mv -T "$prefix/current.new" "$prefix/current"
echo "已安装：$prefix/current → releases/$version"
echo "检查：$prefix/current/bin/analytics --help；启动：$prefix/current/bin/dashboard（或按 README 安装为系统服务）"
