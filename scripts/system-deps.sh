#!/usr/bin/env bash
# The system packages the product needs beside Python: Chromium (draws the charts of the Word and PDF snapshots,
# and the browser test drives it), a CJK font and a colour emoji font (Chinese text and the menu's icons in those
# charts and screenshots) and poppler-utils (the PDF tests read the PDF with pdfinfo, pdffonts, pdftotext,
# pdftoppm). Installed when this user can (root, or sudo without a password) with apt-get or dnf; otherwise the
# exact command to run is printed and, with --require (CI), the script fails. Without them every export but the
# Word charts and the PDF works.
set -euo pipefail

require=false
[[ ${1:-} == --require ]] && require=true

APT_PACKAGES=(chromium fonts-noto-cjk fonts-noto-color-emoji poppler-utils)
DNF_PACKAGES=(chromium google-noto-sans-cjk-ttc-fonts google-noto-emoji-color-fonts poppler-utils)

if command -v apt-get >/dev/null; then
    manager=apt-get packages=("${APT_PACKAGES[@]}")
    installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }
elif command -v dnf >/dev/null; then
    manager=dnf packages=("${DNF_PACKAGES[@]}")
    installed() { rpm -q "$1" >/dev/null 2>&1; }
else
    if command -v chromium >/dev/null && command -v pdftotext >/dev/null; then exit 0; fi
    echo "系统软件包：请用本机的包管理器安装 Chromium、Noto CJK 字体、Noto Color Emoji 字体和 poppler-utils" >&2
    $require && exit 1
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    installed "$package" || missing+=("$package")
done
((${#missing[@]})) || exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "缺少系统软件包：${missing[*]}。Word 图表和 PDF 导出需要它们，请让有 root 权限的人运行：" >&2
        echo "    sudo $manager install -y ${missing[*]}" >&2
        $require && exit 1
        exit 0
    fi
fi

echo "Installing system packages: ${missing[*]}"
log=$(mktemp)
if [[ $manager == apt-get ]]; then
    export DEBIAN_FRONTEND=noninteractive
    # wait for another apt run (unattended upgrades, a second job) instead of failing on its lock
    options=(-qq -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    run() { "${sudo[@]}" apt-get "${options[@]}" update && \
            "${sudo[@]}" apt-get "${options[@]}" install -y --no-install-recommends "${missing[@]}"; }
else
    run() { "${sudo[@]}" dnf install -y -q "${missing[@]}"; }
fi
# quiet unless it fails: then the whole output, to see why
if ! run </dev/null >"$log" 2>&1; then
    cat "$log" >&2
    echo "$manager could not install: ${missing[*]}" >&2
    rm -f "$log"
    $require && exit 1
    exit 0
fi
rm -f "$log"
