"""Learning deployments shaped like keystone, glance and nova (Essex era)."""
