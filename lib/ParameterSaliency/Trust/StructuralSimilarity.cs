namespace ParameterSaliency.Trust;

/// <summary>
/// SSIM of two heatmaps (SPEC §9), as scikit-image's <c>structural_similarity</c> computes it for 2-D float images with
/// its defaults: a 7×7 uniform window, K1 = 0.01, K2 = 0.03, sample covariances (N/(N − 1)), the mean over the pixels
/// whose window lies inside the image. Each map is first scaled to [0, 1] by its own minimum and maximum (Adebayo et
/// al. compare normalised maps), so the data range is 1.
/// </summary>
public static class StructuralSimilarity
{
    /// <summary>Side of the square window.</summary>
    public const int Window = 7;

    /// <summary>SSIM of the two H×W maps after each is scaled to [0, 1] (a constant map becomes all zeros).</summary>
    /// <param name="first">One map, row-major [H, W].</param>
    /// <param name="second">The other, the same size.</param>
    /// <param name="height">H, at least <see cref="Window"/>.</param>
    /// <param name="width">W, at least <see cref="Window"/>.</param>
    public static double OfNormalisedMaps(IReadOnlyList<float> first, IReadOnlyList<float> second, int height, int width) =>
        Compute(ScaledToUnit(first), ScaledToUnit(second), height, width, dataRange: 1.0);

    /// <summary>SSIM of the two H×W maps as they are, with the given data range (scikit-image's <c>data_range</c>).</summary>
    /// <param name="first">One map, row-major [H, W].</param>
    /// <param name="second">The other, the same size.</param>
    /// <param name="height">H, at least <see cref="Window"/>.</param>
    /// <param name="width">W, at least <see cref="Window"/>.</param>
    /// <param name="dataRange">The range of values the maps can take, positive.</param>
    public static double Compute(IReadOnlyList<double> first, IReadOnlyList<double> second, int height, int width, double dataRange)
    {
        if (first.Count != height * width || second.Count != height * width)
            throw new ArgumentException($"SSIM compares two {height}x{width} maps; got {first.Count} and {second.Count} values.");
        if (height < Window || width < Window) throw new ArgumentException($"SSIM's {Window}x{Window} window needs maps of at least {Window}x{Window}; got {height}x{width}.");
        if (!(dataRange > 0)) throw new ArgumentOutOfRangeException(nameof(dataRange), dataRange, "A positive data range.");
        double c1 = Math.Pow(0.01 * dataRange, 2), c2 = Math.Pow(0.03 * dataRange, 2);
        const int n = Window * Window, half = Window / 2;
        double covarianceNorm = n / (n - 1.0), total = 0;
        for (int row = half; row < height - half; row++)
            for (int column = half; column < width - half; column++)
            {
                double sumX = 0, sumY = 0, sumXX = 0, sumYY = 0, sumXY = 0;
                for (int dr = -half; dr <= half; dr++)
                    for (int dc = -half; dc <= half; dc++)
                    {
                        int p = (row + dr) * width + column + dc;
                        double x = first[p], y = second[p];
                        sumX += x; sumY += y; sumXX += x * x; sumYY += y * y; sumXY += x * y;
                    }
                double meanX = sumX / n, meanY = sumY / n;
                double varianceX = covarianceNorm * (sumXX / n - meanX * meanX), varianceY = covarianceNorm * (sumYY / n - meanY * meanY);
                double covariance = covarianceNorm * (sumXY / n - meanX * meanY);
                total += (2 * meanX * meanY + c1) * (2 * covariance + c2) / ((meanX * meanX + meanY * meanY + c1) * (varianceX + varianceY + c2));
            }
        return total / ((height - 2 * half) * (width - 2 * half));
    }

    /// <summary>The map scaled to [0, 1] by its minimum and maximum; all zeros when it is constant.</summary>
    /// <param name="map">Values of a map.</param>
    public static double[] ScaledToUnit(IReadOnlyList<float> map)
    {
        float low = map.Min(), high = map.Max();
        return map.Select(v => high > low ? (v - (double)low) / (high - (double)low) : 0.0).ToArray();
    }
}
