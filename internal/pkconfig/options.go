package pkconfig

// lookupOption reports whether name is one of pagekite.py 1.5.2's long
// options (OPT_ARGS in pk.py) and whether it takes an argument ("NAME=" in
// getopt terms).
func lookupOption(name string) (takesArg, known bool) {
	switch name {
	case "noloop", "clean", "nopyopenssl", "nossl", "nocrashreport", "nullui",
		"remoteui", "help", "settings", "friendly", "shell", "signup", "list",
		"add", "only", "disable", "remove", "save", "controlpanel",
		"controlpass", "daemonize", "nodaemonize", "isfrontend", "noisfrontend",
		"defaults", "authfail_closed", "noupgradeinfo", "tls_legacy", "selfsign",
		"fe_nocertcheck", "insecure", "noproxy", "new", "all", "noall",
		"nozchunks", "sslzlib", "wschunks", "noprobes", "debugio",
		// Deprecated, still accepted.
		"autosave", "noautosave":
		return false, true
	case "uiport", "optfile", "optdir", "savefile", "service_xmlrpc", "httpd",
		"pemfile", "httppass", "errorurl", "webpath", "logfile", "runas",
		"pidfile", "whitelabel", "whitelabels", "local", "domain", "auththreads",
		"authdomain", "motd", "register", "host", "upgradeinfo", "ports",
		"protos", "portalias", "rawports", "tls_default", "tls_endpoint",
		"fe_certname", "ca_certs", "kitename", "kitesecret", "backend",
		"define_backend", "be_config", "ratelimit_ips", "max_read_bytes",
		"select_loop_min_ms", "service_on", "service_off", "service_cfg",
		"tunnel_acl", "client_acl", "accept_acl_file", "frontend", "nofrontend",
		"frontends", "keepalive", "torify", "socksify", "proxy", "dyndns",
		"buffers", "watch", "loglevel", "watchdog", "overload", "overload_cpu",
		"overload_mem", "overload_file",
		// Deprecated, still accepted.
		"reloadfile", "webroot", "webaccess", "webindexes", "delete_backend":
		return true, true
	}
	return false, false
}
