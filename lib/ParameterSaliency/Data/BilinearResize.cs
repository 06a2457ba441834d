namespace ParameterSaliency.Data;

/// <summary>
/// Resizes 8-bit image planes the way torchvision's <c>Resize</c> does on a PIL image (Pillow's
/// <c>Image.resize(..., BILINEAR)</c>): a separable triangle filter whose support widens with the
/// downscale factor (antialiasing), coefficients in 22-bit fixed point, the horizontal pass first into
/// an 8-bit intermediate, then the vertical pass. Matching those roundings keeps PNG inputs within 1e-4
/// of torchvision's tensors. TorchSharp's own resize defaults to nearest without antialias.
/// </summary>
internal static class BilinearResize
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>One channel [height, width] of bytes, resized to [<paramref name="outHeight"/>, <paramref name="outWidth"/>].</summary>
    public static byte[] Resize(byte[] plane, int height, int width, int outHeight, int outWidth)
    {
        if (plane.Length != height * width) throw new ArgumentException($"A {height}x{width} plane needs {height * width} bytes; got {plane.Length}.");
        byte[] horizontal = plane;
        if (outWidth != width)
        {
            var (starts, sizes, weights, kmax) = Coefficients(width, outWidth);
            horizontal = new byte[height * outWidth];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    long sum = 1L << (PrecisionBits - 1);
                    for (int k = 0; k < sizes[x]; k++) sum += plane[y * width + starts[x] + k] * (long)weights[x * kmax + k];
                    horizontal[y * outWidth + x] = Clip8(sum);
                }
        }
        if (outHeight == height) return horizontal;
        var (rowStarts, rowSizes, rowWeights, rowKmax) = Coefficients(height, outHeight);
        byte[] output = new byte[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
            for (int x = 0; x < outWidth; x++)
            {
                long sum = 1L << (PrecisionBits - 1);
                for (int k = 0; k < rowSizes[y]; k++) sum += horizontal[(rowStarts[y] + k) * outWidth + x] * (long)rowWeights[y * rowKmax + k];
                output[y * outWidth + x] = Clip8(sum);
            }
        return output;
    }

    static byte Clip8(long sum)
    {
        long value = sum >> PrecisionBits;
        return (byte)Math.Clamp(value, 0, 255);
    }

    /// <summary>Pillow's precompute_coeffs for the triangle filter (support 1), in fixed point.</summary>
    static (int[] Starts, int[] Sizes, int[] Weights, int KMax) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale;
        int kmax = (int)Math.Ceiling(support) * 2 + 1;
        var starts = new int[outSize];
        var sizes = new int[outSize];
        var weights = new int[outSize * kmax];
        var k = new double[kmax];
        for (int x = 0; x < outSize; x++)
        {
            double center = (x + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double total = 0;
            for (int j = 0; j < xmax; j++)
            {
                double t = (j + xmin - center + 0.5) * ss;
                double w = Math.Abs(t) < 1.0 ? 1.0 - Math.Abs(t) : 0.0;
                k[j] = w;
                total += w;
            }
            for (int j = 0; j < xmax; j++)
            {
                double normalized = total != 0 ? k[j] / total : 0;
                // Pillow rounds half away from zero: (int)(w * 2^22 + 0.5) for w ≥ 0, (int)(w * 2^22 - 0.5) otherwise.
                weights[x * kmax + j] = normalized < 0 ? (int)(-0.5 + normalized * (1 << PrecisionBits)) : (int)(0.5 + normalized * (1 << PrecisionBits));
            }
            starts[x] = xmin;
            sizes[x] = xmax;
        }
        return (starts, sizes, weights, kmax);
    }
}
