"""PSNetSearcher: top-K equal to the retriever's brute-force eq. 1, batch = single, statuses for
bad images, categories outside the four, region boxes in both images, verdicts, refusals."""
import numpy as np
import pytest
import torch

from tests.search_world import CONFIG, REPO, world  # noqa: F401  (a fixture)

DET = str(REPO / 'configs' / 'detector' / 'faster-rcnn_r18-narrow_fpn_1x_synthetic-128.py')

TOPK = 6


@pytest.fixture(scope='module')
def searcher(world):
    from ps_net.apis import PSNetSearcher
    return PSNetSearcher(CONFIG, str(world.checkpoint), str(world.index))


def _hits(result, garment=0):
    return [(h.id, round(h.score, 6)) for h in result.garments[garment].hits]


def _brute_force(model, q_flat, g_flat, topk):
    """Top-K gallery positions and scores of ``model.scores`` (eq. 1), ties by position."""
    scores = model.scores(torch.as_tensor(q_flat), torch.as_tensor(g_flat)).numpy()
    out = []
    for row in scores:
        order = np.lexsort((np.arange(len(row)), -row))[:topk]
        out.append((order.tolist(), row[order]))
    return out


def test_topk_equals_the_retrievers_eq1_on_the_config_datasets(world, searcher):
    """Queries with their PF box and category against brute force over features extracted by
    the config's own data sets (LoadImageFromFile -> PSNetGarmentCrop -> PackInputs)."""
    from ps_net.apis.region_features import build_dataset, extract_region_features
    cfg, model = searcher.embedder.cfg, searcher.embedder.model
    queries = build_dataset(cfg.test_dataloader, data_root=str(world.data_root))
    gallery = build_dataset(cfg.test_gallery, data_root=str(world.data_root))
    q = extract_region_features(model, queries)
    g = extract_region_features(model, gallery)
    assert not g['valid'].all()  # sleeveless garments: eq. 1 renormalises over shared regions
    inputs = [dict(img=queries.get_data_info(i)['img_path'], bbox=e['bbox'],
                   category=e['category'], df2_category_id=e['df2_category_id'])
              for i, e in enumerate(world.queries())]
    results = searcher(inputs, topk=TOPK)
    for result, (order, scores), flat in zip(results, _brute_force(model, q['flat'], g['flat'],
                                                                   TOPK), q['flat']):
        assert result.status == 'ok' and len(result.garments) == 1
        hits = result.garments[0].hits
        assert [h.id for h in hits] == order and [h.rank for h in hits] == list(range(1, 7))
        np.testing.assert_allclose([h.score for h in hits], scores, atol=1e-5)
        # the five per-region cosines are those of the features
        feats, valid, _ = model.split_flat(torch.as_tensor(np.stack([flat])))
        gf, gv, _ = model.split_flat(torch.as_tensor(g['flat'][order]))
        cos = torch.einsum('rd,nrd->nr', feats[0], gf).numpy()
        cos[~(valid[0][None] & gv).numpy()] = np.nan
        np.testing.assert_allclose(np.stack([h.region_cosines for h in hits]), cos, atol=1e-5)
        assert [h.path for h in hits] == [gallery.get_data_info(j)['img_path'] for j in order]


def test_whole_image_queries_equal_brute_force_over_the_gallery(world, searcher):
    """Without a detector the whole image is the garment and the landmark branch picks the
    category; the hits are still the brute-force top-K of eq. 1 over the whole gallery."""
    emb = searcher.embedder
    paths = [str(world.data_root / e['img_path']) for e in world.queries() + world.gallery()[:2]]
    q = emb.embed([emb.pack(emb.load_image(p)) for p in paths])
    g = emb.embed([emb.pack(emb.load_image(str(world.data_root / e['img_path'])), e['bbox'],
                            e['category'], e['df2_category_id']) for e in world.gallery()])
    results = searcher(paths, topk=TOPK)
    for result, (order, scores) in zip(results, _brute_force(emb.model, q['flat'], g['flat'],
                                                             TOPK)):
        garment = result.garments[0]
        assert garment.box == (0.0, 0.0, 64.0, 64.0) and garment.det_score is None
        assert [h.id for h in garment.hits] == order
        np.testing.assert_allclose([h.score for h in garment.hits], scores, atol=1e-5)
    # a gallery image queried with its own box and category finds itself first, score 1
    e = world.gallery()[5]
    own = searcher(dict(img=str(world.data_root / e['img_path']), bbox=e['bbox'],
                        category=e['category'], df2_category_id=e['df2_category_id']))[0]
    assert own.garments[0].hits[0].id == 5
    assert own.garments[0].hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_batch_equals_single_and_inputs_of_every_kind_agree(world, searcher):
    paths = [str(world.data_root / e['img_path']) for e in world.gallery()[:5]]
    batch = searcher(paths, topk=4, batch_size=2)
    assert [r.input for r in batch] == paths
    for path, result in zip(paths, batch):
        assert _hits(searcher(path, topk=4)[0]) == _hits(result)
    import mmcv
    data = open(paths[1], 'rb').read()
    as_bytes, as_array = searcher([data, mmcv.imread(paths[1])], topk=4)
    assert as_bytes.input == '<bytes 0>' and as_array.input == '<array 1>'
    assert _hits(as_bytes) == _hits(as_array) == _hits(batch[1])


def test_bad_images_get_a_status_and_the_batch_goes_on(world, searcher, tmp_path):
    good = str(world.data_root / world.gallery()[0]['img_path'])
    (tmp_path / 'empty.jpg').write_bytes(b'')
    (tmp_path / 'corrupt.jpg').write_bytes(open(good, 'rb').read()[:40])
    (tmp_path / 'text.jpg').write_text('this is not an image\n')
    inputs = [str(tmp_path / 'empty.jpg'), good, str(tmp_path / 'corrupt.jpg'),
              str(tmp_path / 'missing.jpg'), str(tmp_path / 'text.jpg'), b'', b'\xff\xd8junk',
              np.zeros((8, 8), np.uint8), dict(img=good, colour='red'), good]
    results = searcher(inputs, topk=3, batch_size=3)
    assert [r.status for r in results] == ['unreadable', 'ok', 'unreadable', 'unreadable',
                                           'unreadable', 'unreadable', 'unreadable',
                                           'unreadable', 'unreadable', 'ok']
    reasons = [r.reason for r in results]
    assert '0 bytes' in reasons[0] and 'FileNotFoundError' in reasons[3]
    assert 'empty bytes' in reasons[5] and 'BGR uint8 (H, W, 3)' in reasons[7]
    assert 'colour' in reasons[8]
    assert all(r.reason for r in results if not r.ok) and not results[1].reason
    assert _hits(results[1]) == _hits(results[9]) == _hits(searcher(good, topk=3)[0])
    assert all(not r.garments for r in results if not r.ok)


class FakeDetector:
    """Boxes, scores and DeepFashion2 category ids per image, in call order."""

    score_thr = 0.5

    def __init__(self, *outputs):
        self.outputs = list(outputs)

    def detect(self, img):
        boxes, scores, cids = self.outputs.pop(0)
        return np.array(boxes, np.float32).reshape(-1, 4), np.array(scores), np.array(cids)


def test_detected_garments_outside_the_four_categories_are_reported_and_skipped(world):
    from ps_net.apis import PSNetSearcher
    detector = FakeDetector(([[2, 2, 60, 40], [10, 30, 50, 63]], [0.9, 0.8], [8, 1]),
                            ([[0, 0, 30, 30]], [0.7], [9]),
                            ([], [], []),
                            ([[5, 5, 5, 30], [4, 4, 60, 60]], [0.9, 0.6], [1, 10]))
    searcher = PSNetSearcher(None, None, str(world.index), detector=detector)
    img = str(world.data_root / world.gallery()[0]['img_path'])
    mixed, lower, empty, degenerate = searcher([img] * 4, topk=3)
    assert mixed.status == 'ok' and len(mixed.garments) == 1
    garment = mixed.garments[0]
    assert garment.category == 'short_sleeved_top' and garment.df2_category_id == 1
    assert garment.det_score == pytest.approx(0.8) and garment.box == (10, 30, 50, 63)
    assert len(garment.hits) == 3
    (skip, ) = mixed.skipped
    assert skip.category_name == 'trousers' and skip.df2_category_id == 8
    assert 'not one of the PS-Net categories' in skip.reason and skip.box == (2, 2, 60, 40)
    assert lower.status == 'not_searched' and 'skirt' in lower.reason and not lower.garments
    assert empty.status == 'no_garment' and 'scoring >= 0.5' in empty.reason
    assert degenerate.status == 'ok' and degenerate.garments[0].category == 'dress'
    assert 'x2 > x1' in degenerate.skipped[0].reason
    # the same with a caller's box: a lower-body DeepFashion2 category is skipped
    hinted = searcher(dict(img=img, bbox=[0, 0, 64, 64], df2_category_id=7))[0]
    assert hinted.status == 'not_searched' and hinted.skipped[0].category_name == 'shorts'
    to_dict = mixed.to_dict()
    assert to_dict['skipped'][0]['category_name'] == 'trousers'
    assert set(to_dict['garments'][0]) == {'box', 'category', 'df2_category_id', 'det_score',
                                           'region_boxes', 'region_valid', 'region_fallback',
                                           'hits'}


def test_a_real_detector_from_its_config(world):
    """The ``(config, checkpoint)`` form builds a detector-only GarmentPipeline; an untrained
    detector with threshold 1 finds nothing: a status, not an exception."""
    from ps_net.apis import PSNetSearcher
    torch.manual_seed(0)
    searcher = PSNetSearcher(CONFIG, str(world.checkpoint), str(world.index),
                             detector=(DET, None), score_thr=1.0)
    assert searcher.detector.pose is None
    (result, ) = searcher(str(world.data_root / world.gallery()[0]['img_path']))
    assert result.status == 'no_garment' and 'scoring >= 1.0' in result.reason


def test_region_boxes_of_the_query_and_of_the_hits_are_in_image_pixels(world, searcher):
    from ps_net.datasets.transforms.garment_crop import crop_to_image
    e = world.gallery()[6]  # sleeveless (DeepFashion2 sling)
    path = str(world.data_root / e['img_path'])
    (result, ) = searcher(dict(img=path, bbox=e['bbox'], category=e['category'],
                               df2_category_id=e['df2_category_id']), topk=10)
    garment = result.garments[0]
    assert garment.valid.tolist() == [False, False, True, True, True]
    assert np.isnan(garment.region_boxes[:2]).all()
    # the query's boxes are its crop boxes mapped back through the crop
    sample = searcher.embedder.pack(searcher.embedder.load_image(path), e['bbox'])
    meta = sample['data_samples']
    mapped = crop_to_image(garment.crop_boxes.reshape(-1, 2), meta.input_center,
                           meta.input_scale, (128, 128)).reshape(-1, 4)
    np.testing.assert_allclose(garment.region_boxes[2:], np.clip(mapped[2:], 0, 64), atol=1e-3)
    assert garment.crop.shape == (128, 128, 3)
    # a hit's boxes are those stored for that gallery garment: itself, the same numbers
    own = garment.hits[0]
    assert own.id == 6
    np.testing.assert_allclose(own.region_boxes, garment.region_boxes, atol=1e-3)
    for hit in garment.hits:
        box_ok = ~np.isnan(hit.region_boxes).any(1)
        assert box_ok.any() and (hit.region_boxes[box_ok] >= 0).all()
        assert (hit.region_boxes[box_ok] <= 64).all()
    d = own.to_dict()
    assert d['region_boxes']['left_sleeve'] is None and len(d['region_boxes']['chest']) == 4
    assert d['region_cosines']['left_sleeve'] is None


def test_verdicts_come_from_the_index_thresholds(world):
    from ps_net.apis import PSNetSearcher
    from ps_net.index import GalleryIndex
    index = GalleryIndex.load(world.index)
    searcher = PSNetSearcher(None, None, index)
    img = str(world.data_root / world.gallery()[2]['img_path'])
    assert all(h.verdict is None for h in searcher(img)[0].garments[0].hits)
    hits = searcher(img)[0].garments[0].hits
    mid = (hits[0].score + hits[-1].score) / 2
    index.set_verdicts(dict(identical=hits[0].score, plagiarized=mid))
    labelled = searcher(img)[0].garments[0].hits
    assert labelled[0].verdict == 'identical'
    assert [h.verdict for h in labelled[1:]] == [
        'plagiarized' if h.score >= mid else 'unrelated' for h in labelled[1:]]
    assert {'plagiarized', 'unrelated'} <= {h.verdict for h in labelled}


def test_an_index_of_another_model_is_refused(world):
    from ps_net.apis import PSNetSearcher
    from ps_net.index import ModelFingerprintError
    with pytest.raises(ModelFingerprintError, match='another embedding model'):
        PSNetSearcher(CONFIG, str(world.other_checkpoint), str(world.index))
