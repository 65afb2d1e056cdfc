-- Entries cite the sources registry (knowledge/sources.yaml) by id instead of a seed file name:
-- {"seed":"002_….txt",…} becomes {"source":"upwork-connects-announcement",…} in every stored
-- revision, so databases made before the registry keep loading. A seed name the registry does not
-- know keeps its text as the id, for `kb validate` to report.
UPDATE revisions SET data = replace(data, '"seed":"002_199d9790c2e26437.txt"', '"source":"upwork-connects-announcement"');
UPDATE revisions SET data = replace(data, '"seed":"004_89282ea679e06253.txt"', '"source":"faq-upwork-communication"');
UPDATE revisions SET data = replace(data, '"seed":"000_f3298e88dadf35e4.txt"', '"source":"blog-connects-explainer"');
UPDATE revisions SET data = replace(data, '"seed":"001_0306b46a8287d014.txt"', '"source":"careercruise-connects-article"');
UPDATE revisions SET data = replace(data, '"seed":"003_d0db7c41576e6006.txt"', '"source":"elance-help-basic-connects"');
UPDATE revisions SET data = replace(data, '"seed":', '"source":');
