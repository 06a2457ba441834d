using ParameterSaliency.Data;

namespace ParameterSaliency.Tests;

/// <summary>The CIFAR-10 binary reader against records written here byte by byte (the real files are never downloaded by the tests).</summary>
public class Cifar10Tests
{
    /// <summary>Record n: label labels[n]; pixel (c, y, x) = (n * 50 + c * 80 + y * 3 + x) mod 256.</summary>
    static byte Pixel(int n, int c, int y, int x) => (byte)((n * 50 + c * 80 + y * 3 + x) % 256);

    static byte[] Records(params byte[] labels)
    {
        var bytes = new List<byte>();
        for (int n = 0; n < labels.Length; n++)
        {
            bytes.Add(labels[n]);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++) bytes.Add(Pixel(n, c, y, x));
        }
        return bytes.ToArray();
    }

    [Fact]
    public void Test_split_reads_labels_and_planar_RGB_pixels_normalised_with_the_CIFAR10_statistics()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        byte[] labels = [3, 0, 9];
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), Records(labels));
        using var data = Cifar10.Load(DataSplit.Test, folder);
        Assert.Equal("cifar10:test", data.Name);
        Assert.Equal((3, 32, 32), data.ImageShape);
        Assert.Equal(labels.Select(l => (int)l), data.LabelArray);
        Assert.Equal("cat", data.ClassNames[3]);
        float[] mean = [0.4914f, 0.4822f, 0.4465f], std = [0.2470f, 0.2435f, 0.2616f];
        foreach (var (n, c, y, x) in new[] { (0, 0, 0, 0), (1, 2, 31, 31), (2, 1, 7, 30), (2, 0, 31, 0) })
        {
            float expected = (Pixel(n, c, y, x) / 255f - mean[c]) / std[c];
            Assert.Equal(expected, data.Images[n, c, y, x].item<float>(), 5);
        }
    }

    [Fact]
    public void Train_split_concatenates_the_five_batches_in_order()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        for (int i = 1; i <= 5; i++) File.WriteAllBytes(Path.Combine(folder, $"data_batch_{i}.bin"), Records((byte)i, (byte)(i + 4)));
        using var data = Cifar10.Load(DataSplit.Train, folder);
        Assert.Equal(new[] { 1, 5, 2, 6, 3, 7, 4, 8, 5, 9 }, data.LabelArray);
    }

    [Fact]
    public void Damaged_files_and_missing_folders_are_named()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string path = Path.Combine(folder, "test_batch.bin");
        File.WriteAllBytes(path, Records(1, 2)[..5000]);
        var length = Assert.Throws<InvalidDataException>(() => Cifar10.Load(DataSplit.Test, folder));
        Assert.Contains(path, length.Message);
        Assert.Contains("3,073", length.Message);

        File.WriteAllBytes(path, Records(1, 10));
        var label = Assert.Throws<InvalidDataException>(() => Cifar10.Load(DataSplit.Test, folder));
        Assert.Contains("record 1 has label 10", label.Message);

        string empty = Directory.CreateTempSubdirectory().FullName;
        var missing = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(DataSplit.Train, empty));
        Assert.Contains("data_batch_1.bin", missing.Message);
        Assert.Contains(empty, missing.Message);
        Assert.Contains("CIFAR10_DIR", missing.Message);
    }

    [Fact]
    public void Catalog_name_resolves_with_the_models_normalisation()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), Records(4));
        string? before = Environment.GetEnvironmentVariable("CIFAR10_DIR");
        Environment.SetEnvironmentVariable("CIFAR10_DIR", folder);
        try
        {
            using var data = DatasetCatalog.Load("cifar10:test", new ImageFolderOptions(Normalization: Normalization.ImageNet));
            Assert.Equal(Normalization.ImageNet, data.Normalization);
            Assert.Equal((Pixel(0, 1, 2, 3) / 255f - 0.456f) / 0.224f, data.Images[0, 1, 2, 3].item<float>(), 5);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CIFAR10_DIR", before);
        }
    }
}
