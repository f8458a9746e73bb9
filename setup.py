"""sgfb: action recognition through spatio-temporal scene graphs.

Ranges here are the compatible ones; requirements.lock pins what CI tests.
"""
from setuptools import find_packages, setup

setup(
    name="sgfb",
    version="0.1.0",
    description="Scene Graph Feature Banks and ST-SGN for action recognition in video",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sgfb", "sgfb.*"]),
    package_dir={"": "."},  # a plain .pth editable install (no import-hook banner)
    install_requires=[
        # torch.load(weights_only=True) guards every checkpoint we read; releases before 2.10
        # let a crafted file get past it: CVE-2025-32434 (fixed in 2.6.0) and CVE-2026-24747
        # (memory corruption in the weights-only unpickler, fixed in 2.10.0).
        "torch>=2.10.0",
        "torchvision>=0.25.0",  # the release that pairs with torch 2.10
        "torch-geometric>=2.5",
        "numpy>=1.24",
        "scipy>=1.10",
        "scikit-learn>=1.3",
        "opencv-python-headless>=4.8",
        "av>=11",
        "decord>=0.6; platform_machine=='x86_64'",
        # default video backend; needs the system FFmpeg libraries (make sysdeps)
        "torchcodec>=0.17",
        "pytorchvideo>=0.1.5",
        "tqdm>=4.60",
        "tensorboard>=2.12",
        "pyyaml>=6",
        "jsonschema>=4.18",
        "matplotlib>=3.7",
    ],
    extras_require={"test": ["pytest>=7", "pytest-xdist>=3"]},
)
