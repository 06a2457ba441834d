using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Imaging;

/// <summary>One image to show: 8-bit pixels (gray or RGB), a caption, and whether to highlight it.</summary>
/// <param name="Pixels">8-bit pixels, row-major [H, W, C] with channels interleaved.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Channels">Channels per pixel: 1 (gray) or 3 (RGB).</param>
/// <param name="Caption">Caption shown under the image; line breaks start new lines.</param>
/// <param name="Highlight">Whether a grid frames the tile red (default false).</param>
public sealed record ImageTile(byte[] Pixels, int Width, int Height, int Channels, string Caption, bool Highlight = false)
{
    /// <summary>A tile from pixels in [0, 1] shaped [C, H, W] (C = 1 or 3); values are clamped.</summary>
    /// <param name="pixels">Image tensor [C, H, W] with C = 1 or 3, values in [0, 1] (clamped).</param>
    /// <param name="caption">Caption of the tile.</param>
    /// <param name="highlight">Whether a grid frames the tile red (default false).</param>
    public static ImageTile FromUnitTensor(Tensor pixels, string caption, bool highlight = false)
    {
        if (pixels.dim() != 3 || pixels.shape[0] is not (1 or 3))
            throw new ArgumentException($"Expected pixels [C, H, W] with C = 1 or 3; got [{string.Join(", ", pixels.shape)}].");
        using var scope = NewDisposeScope();
        using Scalar black = 0, white = 1, levels = 255; // held for the calls (PS0001)
        var bytes = pixels.detach().cpu().clamp(black, white).mul(levels).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous();
        return new ImageTile(bytes.data<byte>().ToArray(), (int)pixels.shape[2], (int)pixels.shape[1], (int)pixels.shape[0], caption, highlight);
    }

    /// <summary>A tile from pixels in [0, 1], [C, H, W] flattened (C = 1 or 3); values are clamped.</summary>
    /// <param name="pixels">Pixels in [0, 1], [C, H, W] flattened (clamped).</param>
    /// <param name="channels">Channels C: 1 (gray) or 3 (RGB).</param>
    /// <param name="height">Image height H in pixels.</param>
    /// <param name="width">Image width W in pixels.</param>
    /// <param name="caption">Caption of the tile.</param>
    /// <param name="highlight">Whether a grid frames the tile red (default false).</param>
    public static ImageTile FromPixels(IReadOnlyList<float> pixels, int channels, int height, int width, string caption, bool highlight = false)
    {
        if (channels is not (1 or 3) || pixels.Count != channels * height * width)
            throw new ArgumentException($"Expected {channels}x{height}x{width} pixels with C = 1 or 3; got {pixels.Count} values.");
        int area = height * width;
        var bytes = new byte[pixels.Count];
        for (int p = 0; p < area; p++)
            for (int c = 0; c < channels; c++)
                bytes[p * channels + c] = (byte)Math.Round(255 * Math.Clamp(pixels[c * area + p], 0f, 1f));
        return new ImageTile(bytes, width, height, channels, caption, highlight);
    }

    /// <summary>PNG bytes, each pixel enlarged to <paramref name="scale"/> x <paramref name="scale"/> (nearest neighbour).</summary>
    /// <param name="scale">Enlargement factor per side, at least 1 (default 1: original size).</param>
    public byte[] ToPng(int scale = 1)
    {
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "At least 1.");
        if (scale == 1) return PngEncoder.Encode(Pixels, Width, Height, Channels);
        int width = Width * scale, height = Height * scale;
        var enlarged = new byte[width * height * Channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < Channels; c++)
                    enlarged[(y * width + x) * Channels + c] = Pixels[((y / scale) * Width + x / scale) * Channels + c];
        return PngEncoder.Encode(enlarged, width, height, Channels);
    }
}
