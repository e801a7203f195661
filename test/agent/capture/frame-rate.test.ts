import { expect } from 'chai';
import { frameRateFor } from '../../../agent/capture/frame-rate.ts';

describe('agent/capture/frame-rate', () => {
  it('keeps a fixed --fps whatever the screen size', () => {
    expect(frameRateFor(15, 3840, 2160)).to.equal(15);
    expect(frameRateFor(60, 640, 480)).to.equal(60);
  });
  it('auto: 60 up to 1280x720, fewer by the pixel budget above, never under 30', () => {
    expect(frameRateFor('auto', 1280, 720)).to.equal(60);
    expect(frameRateFor('auto', 800, 600)).to.equal(60);
    expect(frameRateFor('auto', 1600, 900)).to.equal(38);
    expect(frameRateFor('auto', 1920, 1080)).to.equal(30);
    expect(frameRateFor('auto', 3840, 2160)).to.equal(30);
    expect(frameRateFor('auto', 0, 0)).to.equal(60);
  });
  it("auto never asks more than the capturer allows (a whole-screen grab per frame: GDI, x11grab)", () => {
    expect(frameRateFor('auto', 1280, 720, 30)).to.equal(30);
    expect(frameRateFor('auto', 800, 600, 45)).to.equal(45);
    expect(frameRateFor('auto', 1920, 1080, 30)).to.equal(30);
    expect(frameRateFor(60, 1280, 720, 30)).to.equal(60);
  });
});
