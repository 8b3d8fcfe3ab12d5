"""The marketplace's side: the static listing of certified products, its badges, and the council's check of it."""
