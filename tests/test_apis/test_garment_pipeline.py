"""The detect -> crop -> landmarks pipeline: crop geometry, scopes, typed results."""
from pathlib import Path

import numpy as np
import pytest

import ps_net  # noqa: F401
from ps_net.apis import GarmentPipeline, crop_garment, crop_to_image, image_to_crop

REPO = Path(__file__).resolve().parents[2]
DET = str(REPO / 'configs' / 'detector' / 'faster-rcnn_r18-narrow_fpn_1x_synthetic-128.py')
POSE = str(REPO / 'configs' / 'landmark' / 'psnet-landmark_hrnet-narrow_20e_synthetic-128.py')


@pytest.mark.parametrize('bbox', [(10, 20, 90, 60), (0, 0, 200, 150), (50.5, 10.2, 70.7, 140.9)])
def test_crop_round_trips_points_within_a_pixel(bbox):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (160, 210, 3), dtype=np.uint8)
    crop, center, scale = crop_garment(img, bbox, (128, 128))
    assert crop.shape == (128, 128, 3)
    assert scale[0] == pytest.approx(scale[1])  # widened to the input's aspect ratio
    x1, y1, x2, y2 = bbox
    pts = np.stack([rng.uniform(x1, x2, 20), rng.uniform(y1, y2, 20)], 1)
    inside = image_to_crop(pts, center, scale, (128, 128))
    assert ((inside >= 0) & (inside <= 128)).all()  # the box (with margin) fills the crop
    np.testing.assert_allclose(crop_to_image(inside, center, scale, (128, 128)), pts,
                               atol=1e-3)
    with pytest.raises(ValueError, match='x2 > x1'):
        crop_garment(img, (5, 5, 5, 9), (128, 128))


def test_crop_matches_a_hand_built_affine():
    img = np.zeros((100, 100, 3), np.uint8)
    img[40:60, 20:30] = 255  # a white patch inside the box
    crop, center, scale = crop_garment(img, (20, 40, 30, 60), (64, 64), padding=1.0)
    np.testing.assert_allclose(center, [25, 50])
    np.testing.assert_allclose(scale, [20, 20])  # width widened to the square input
    # the box's left and right 5 px of margin are black, the middle is white
    assert crop[32, 32].min() == 255 and crop[32, 2].max() == 0


@pytest.fixture(scope='module')
def pipeline():
    import torch
    torch.manual_seed(0)
    return GarmentPipeline(DET, None, POSE, None, score_thr=1.0)


def test_no_garment_and_unreadable_are_typed_results(pipeline, tmp_path):
    img = np.full((128, 128, 3), 127, np.uint8)
    result = pipeline(img)
    assert result.status == 'no_garment' and result.garments == []
    assert 'no garment scored >= 1.0' in result.reason
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'not a jpeg')
    result = pipeline(str(bad))
    assert result.status == 'unreadable' and result.garments == [] and result.reason


def test_landmarks_come_back_in_image_pixels_for_the_category_slots(pipeline):
    img = np.random.default_rng(1).integers(0, 255, (150, 200, 3), dtype=np.uint8)
    boxes = np.array([[20, 10, 120, 140], [100, 30, 190, 100]], np.float32)
    out = pipeline.landmarks(img, boxes, [1, 8])  # T-shirt (25 slots), trousers (14)
    assert [o[0].shape for o in out] == [(25, 2), (14, 2)]
    assert out[0][2].tolist() == list(range(0, 25)) and out[1][2][0] == 168
    for (kpts, scores, _, center, scale), box in zip(out, boxes):
        np.testing.assert_allclose(center, [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        half = scale / 2
        found = kpts[scores > 0]  # a heatmap with no positive value decodes to no location
        assert ((found >= center - half - 1) & (found <= center + half + 1)).all()
    # both libraries still work after each other (no default-scope fight)
    assert pipeline(np.full((64, 64, 3), 0, np.uint8)).status == 'no_garment'


def test_prediction_sheet_draws_every_image(pipeline, tmp_path):
    from PIL import Image

    from ps_net.datasets.synthetic import generate_synthetic
    from ps_net.visualization import draw_predictions
    generate_synthetic(str(tmp_path / 'set'), seed=5, num_designs=2, img_size=64)
    coco = tmp_path / 'set' / 'annotations' / 'coco_train.json'
    out = draw_predictions(pipeline, str(coco), str(tmp_path / 'p.png'), num_images=5, cols=3,
                           tile_size=64)
    with Image.open(out) as sheet:
        assert sheet.size == (3 * 68, 2 * (64 + 30))
    with pytest.raises(FileExistsError):
        draw_predictions(pipeline, str(coco), out)


def test_landmarks_are_the_retrievers_decode_of_the_crop_mapped_back(pipeline):
    """One decode path: the pipeline's landmarks are PS-Net's landmark-branch decode (the
    landmark head's codec, ``LandmarkBranch.decode``) of the crop's heatmaps, mapped back to
    the image through the crop."""
    import torch
    from mmpose.structures import PoseDataSample

    from ps_net.models.retrievers.ps_net import LandmarkBranch
    img = np.random.default_rng(2).integers(0, 255, (150, 200, 3), dtype=np.uint8)
    box = np.array([[20, 10, 120, 140]], np.float32)
    (kpts, scores, slots, center, scale), = pipeline.landmarks(img, box, [1])
    crop, crop_center, crop_scale = crop_garment(img, box[0], (128, 128))
    np.testing.assert_allclose(crop_center, center)
    np.testing.assert_allclose(crop_scale, scale)
    pose = pipeline.pose
    with torch.no_grad():
        data = pose.data_preprocessor(dict(inputs=[torch.from_numpy(crop).permute(2, 0, 1)],
                                           data_samples=[PoseDataSample()]))
        heatmaps = pose.head(pose.extract_feat(data['inputs']))
    locs, vals = LandmarkBranch.decode(pose, heatmaps)  # the retriever's decode, this head
    np.testing.assert_allclose(crop_to_image(locs[0, slots], center, scale, (128, 128)), kpts,
                               atol=1e-3)
    np.testing.assert_allclose(vals[0, slots], scores, rtol=1e-6)
