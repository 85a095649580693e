"""Kechuang (科创): technology–economy integration platform."""
