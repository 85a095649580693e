"""The demo region: a generated, deterministic Yangtze-delta federation (Ruian, Wenzhou, Jiading, Suzhou)
with enterprises, experts, achievements, instruments, service items, platforms and one log-in per role.

Load it with ``kechuang demo`` (see ``kechuang/demo/management/commands/demo.py``) or
:func:`kechuang.demo.generator.load_demo`.
"""
