"""The public-service satisfaction survey (SKM, Permenpan RB 14/2017) and its index (IKM) per office, courier, month."""
