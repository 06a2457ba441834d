namespace ParameterSaliency.Tests;

/// <summary>An image folder's statistics are computed chunk by chunk from the files (never all in memory) and equal the in-memory pass.</summary>
public class FolderStatisticsTests
{
    [Fact]
    public void A_folder_read_chunk_by_chunk_gives_the_statistics_of_the_folder_in_memory_and_is_then_up_to_date()
    {
        string own = Path.Combine(Workbook.Root, "data", "your-own-model");
        string output = Path.Combine(Directory.CreateTempSubdirectory().FullName, "folder.safetensors");
        string arguments = $"stats --model \"{Path.Combine(own, "model.pth")}\" --arch resnet18-cifar --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25 " +
                           $"--dataset \"folder:{Path.Combine(own, "images")}\" --engine Loop --out \"{output}\"";
        var (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency, arguments);
        Assert.True(exitCode == 0, stdout + stderr);

        var normalization = new Data.Normalization([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        using var saved = Models.ModelFile.Load(Path.Combine(own, "model.pth"), arch: "resnet18-cifar", normalization: normalization);
        using var data = Data.ImageFolder.Load(Path.Combine(own, "images"), new Data.ImageFolderOptions(Normalization: normalization));
        var inMemory = Saliency.SaliencyStatistics.Compute(new Saliency.SaliencyProfiler(saved.Model, new Saliency.ProfilerOptions { Engine = Saliency.ProfileEngine.Loop }), data);
        var streamed = Saliency.SaliencyStatistics.Load(output);
        Assert.Equal(300, streamed.Count);
        Assert.Equal(inMemory.Data, streamed.Data); // the same images, fingerprinted chunk by chunk
        if (Runtime.CpuKernels.Policy.Backend == Runtime.ConvolutionBackend.OneDnn)
        {
            Assert.Equal(inMemory.Mean, streamed.Mean); // the same chunks of the same profiles: bit for bit
            Assert.Equal(inMemory.Std, streamed.Std);
        }
        else
        {
            // ATen's kernels (the route around faulty oneDNN kernels) round a profile's last bits differently in another
            // process (measured: 8.4e-8 of μ's entry); one image of the 300 missing or counted twice moves μ by about 1e-3.
            foreach (var (name, expected, actual) in new[] { ("μ", inMemory.Mean, streamed.Mean), ("σ", inMemory.Std, streamed.Std) })
            {
                double largest = expected.Max(Math.Abs), worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
                Assert.True(worst <= 1e-6 * largest, $"{name}: an entry differs by {worst / largest:E2} of the largest on {Runtime.CpuKernels.Policy.Kernels}");
            }
        }

        (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency, arguments);
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("Up to date", stdout);
    }

    [Fact]
    public void Damaged_images_stop_a_folder_pass_before_it_starts_and_are_all_named()
    {
        string own = Path.Combine(Workbook.Root, "data", "your-own-model");
        string root = Directory.CreateTempSubdirectory().FullName, things = Path.Combine(root, "things");
        Directory.CreateDirectory(things);
        foreach (string png in Directory.GetFiles(Path.Combine(own, "images", "0-T-shirt")).Take(3)) File.Copy(png, Path.Combine(things, Path.GetFileName(png)));
        File.WriteAllBytes(Path.Combine(things, "empty.jpg"), []);
        File.WriteAllText(Path.Combine(things, "notes.png"), "not an image");
        string output = Path.Combine(root, "s.safetensors");
        var (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency,
            $"stats --model \"{Path.Combine(own, "model.pth")}\" --arch resnet18-cifar --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25 --dataset \"folder:{root}\" --out \"{output}\"");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("2 image(s)", stderr);
        Assert.Contains("empty.jpg", stderr);
        Assert.Contains("notes.png", stderr);
        Assert.Contains("--skip-bad", stderr);
        Assert.False(File.Exists(output + ".partial"), "no profiling may start before the images are checked");
        Assert.DoesNotContain("Profiling", stderr);
    }
}
