import { expect } from 'chai';
import { containRect, toFractions, wheelNotches } from '../../web/console/video-geometry.ts';

describe('web/console/video-geometry: pointer position as fractions of the letterboxed picture', () => {
  it('pillarboxes a 4:3 picture in a 16:9 box and maps its edges to 0 and 1', () => {
    const rect = containRect(1600, 900, 1024, 768);
    expect(rect).to.deep.equal({ left: 200, top: 0, width: 1200, height: 900 });
    expect(toFractions(200, 0, rect)).to.deep.equal({ x: 0, y: 0 });
    expect(toFractions(1400, 900, rect)).to.deep.equal({ x: 1, y: 1 });
    expect(toFractions(800, 450, rect)).to.deep.equal({ x: 0.5, y: 0.5 });
  });

  it('letterboxes a wide picture and ignores points on the bars', () => {
    const rect = containRect(800, 800, 1920, 1080);
    expect(rect.top).to.equal(175);
    expect(toFractions(400, 100, rect)).to.equal(null);
    expect(toFractions(400, 700, rect)).to.equal(null);
    expect(toFractions(0, 175, rect)).to.deep.equal({ x: 0, y: 0 });
  });

  it('is independent of resolution: the same spot on two sizes gives the same fractions', () => {
    const small = toFractions(320, 180, containRect(640, 360, 1280, 720));
    const big = toFractions(960, 540, containRect(1920, 1080, 3840, 2160));
    expect(small).to.deep.equal(big);
  });

  it('turns wheel deltas into bounded whole notches', () => {
    expect(wheelNotches(100, 0)).to.equal(3);
    expect(wheelNotches(-40, 0)).to.equal(-1);
    expect(wheelNotches(3, 1)).to.equal(3);
    expect(wheelNotches(1, 2)).to.equal(10);
    expect(wheelNotches(100000, 0)).to.equal(20);
    expect(wheelNotches(0, 0)).to.equal(0);
  });
});
