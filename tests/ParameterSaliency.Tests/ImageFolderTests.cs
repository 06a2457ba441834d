using System.Text.Json;
using ParameterSaliency.Data;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Tests;

/// <summary>
/// Image folders against torchvision: tests/reference/image_folder_reference.py writes five PNG and JPEG files
/// (RGB, greyscale, RGBA; odd sizes) and the tensors torchvision's ImageFolder with Resize(256), CenterCrop(224),
/// ToTensor and Normalize makes of them; and damaged files.
/// </summary>
public class ImageFolderTests
{
    static readonly Lazy<PythonReference> Reference = new(() => PythonReference.Make("image_folder_reference.py"));

    static string Folder(string name)
    {
        Skip.If(Reference.Value.Missing is not null, Reference.Value.Missing);
        return Path.Combine(Reference.Value.Folder, name);
    }

    [SkippableFact]
    public void Classes_files_and_tensors_match_torchvision()
    {
        string root = Folder("images");
        using var expected = SafeTensors.Read(Path.Combine(Reference.Value.Folder, "reference.safetensors"));
        var folder = ImageFolder.Scan(root);
        Assert.Equal(JsonSerializer.Deserialize<string[]>(expected.Metadata["classes"]), folder.Classes);
        Assert.Equal(JsonSerializer.Deserialize<string[]>(expected.Metadata["files"]), folder.Files.Select(f => Path.GetRelativePath(root, f.Path)));

        foreach (var (normalization, key) in new[] { (Normalization.ImageNet, "inputs"), (new Normalization([0.5f], [0.25f]), "grey") })
        {
            using var data = folder.Load(ImageFolderOptions.ImageNet with { Normalization = normalization });
            Assert.Equal(expected["labels"].data<long>().Select(l => (int)l), data.LabelArray);
            Assert.Equal(expected[key].shape, data.Images.shape);
            for (int n = 0; n < folder.Files.Count; n++)
            {
                double error = (data.Images[n] - expected[key][n]).abs().max().item<float>();
                bool jpeg = folder.Files[n].Path.EndsWith(".jpg", StringComparison.Ordinal) || folder.Files[n].Path.EndsWith(".jpeg", StringComparison.Ordinal);
                // PNG: the same bytes through the same resampling (1e-4); JPEG decoders may differ by a level here and there (1e-2).
                double tolerance = jpeg ? 1e-2 : 1e-4;
                Assert.True(error <= tolerance, $"{folder.Files[n].Path} ({key}): max abs difference {error:E2} from torchvision > {tolerance:E0}");
            }
        }
    }

    [SkippableFact]
    public void Damaged_images_are_named_or_skipped_and_listed()
    {
        string root = Folder("bad");
        var folder = ImageFolder.Scan(root);
        var error = Assert.Throws<InvalidDataException>(() => folder.Load(ImageFolderOptions.ImageNet));
        Assert.Contains("empty.jpg", error.Message); // the first file in order

        using var data = folder.Load(ImageFolderOptions.ImageNet with { SkipBad = true });
        Assert.Equal(1, data.Count);
        Assert.Equal(new[] { "empty.jpg", "notes.png", "truncated.png" }, folder.Skipped.Select(s => Path.GetFileName(s.Path)));
        Assert.Contains("0 bytes", folder.Skipped[0].Reason);
        Assert.Contains("truncated or damaged", folder.Skipped[2].Reason);
    }

    [SkippableFact]
    public void Images_of_mixed_sizes_without_resize_and_crop_get_a_message_naming_the_options()
    {
        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(Folder("images"), new ImageFolderOptions(Normalization: Normalization.ImageNet)));
        Assert.Contains("--resize 256 --crop 224", error.Message);
    }

    [Fact]
    public void A_folder_without_class_subfolders_is_refused_with_the_layout()
    {
        string root = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllText(Path.Combine(root, "a.png"), "x");
        var error = Assert.Throws<ArgumentException>(() => ImageFolder.Scan(root));
        Assert.Contains("root/<class>/<image>", error.Message);
    }
}
