"""The core service: Canon business accounts, products, points, CPS tiers and memberships."""
