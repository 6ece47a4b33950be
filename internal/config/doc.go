// Package config loads and validates pkwatchdogd's TOML configuration
// (configs/pkwatchdogd.toml documents every key and its default), and turns
// it into the probe targets, discovering kites from pagekite.py's rc files
// when no [[kite]] is configured.
//
// Load fills the defaults (Default), decodes the file, rejects unknown keys
// with their full key path (kite[1].conect_to; [[kite]] entries are counted
// from 0), then validates and reports every problem at once. Syntax errors
// are reported as FILE:LINE:COL: message.
package config
