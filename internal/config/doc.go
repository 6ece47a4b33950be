// Package config loads and validates pkwatchdogd's TOML configuration
// (configs/pkwatchdogd.toml documents every key and its default, Default
// is their one home in code), and hands out the PageKite instances it
// describes as ready domain values (Instances: kinds typed, restart
// options compiled). It reads no PageKite file: internal/discover finds
// the kites of an instance no [[kite]] names.
//
// Load fills the defaults (Default), decodes the file, rejects unknown keys
// with their full key path (kite[1].conect_to; [[kite]] entries are counted
// from 0), then validates and reports every problem at once. Syntax errors
// are reported as FILE:LINE:COL: message.
package config
