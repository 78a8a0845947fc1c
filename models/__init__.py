"""The shipped model files; the wheel installs this folder as the package digitpred.models."""
