"""科技服务机构: proof-of-concept centres, pilot bases, incubators and test labs, and service requests."""
