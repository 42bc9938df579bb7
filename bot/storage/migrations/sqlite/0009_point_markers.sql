-- How each point was announced (Point.marker): '' for a number, 'step', 'rule', ... for a
-- worded marker, 'ordinal' for "Second, ...". The question classifier reads it: "step 2" names
-- a point only on an article whose points are steps, a bare "Third:" only where they are ordinals.
ALTER TABLE points ADD COLUMN marker TEXT NOT NULL DEFAULT '';
