-- An organization's focal point: the person who submits its account lists, at the scope of
-- the assignment (issue: people and permissions).
ALTER TYPE "Role" ADD VALUE 'FOCAL_POINT';
