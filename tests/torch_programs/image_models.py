"""Image models written as PyTorch code, with the surface of pytorch/examples' super_resolution, fast_neural_style,
mnist_rnn, siamese_network and mnist_forward_forward: PixelShuffle after orthogonal_ init, reflection padding,
InstanceNorm2d, nearest Upsample and a Gram-matrix style loss (bmm, new_tensor, an in-place div_ inside the graph),
an LSTM read with batch_first into BatchNorm1d and Dropout2d on its (N, C) features, where() with numbers, the
forward-forward goodness loss (norm, mm with .T, log1p), and a whole model checkpointed to a file and loaded."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
from common_io import digits, same_weights


class SuperRes(nn.Module):
    def __init__(self, upscale_factor=2):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(8, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight)

    def forward(self, x):
        return self.pixel_shuffle(self.conv2(F.relu(self.conv1(x))))


class Stylizer(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv = nn.Conv2d(1, 4, 3, stride=2)
        self.norm = nn.InstanceNorm2d(4, affine=True)
        self.up = nn.Upsample(mode="nearest", scale_factor=2)
        self.out = nn.Conv2d(4, 3, 1)

    def forward(self, x):
        return self.out(self.up(F.relu(self.norm(self.conv(self.pad(x))))))


class RowReader(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=8, hidden_size=6, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(6)
        self.dropout = nn.Dropout2d(0.0)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        output, _ = self.rnn(x.reshape(-1, 8, 8))
        return F.log_softmax(self.fc(self.dropout(self.batchnorm(output[:, -1, :]))), dim=1)


def gram_matrix(y):
    (b, ch, h, w) = y.size()
    features = y.view(b, ch, w * h)
    return features.bmm(features.transpose(1, 2)) / (ch * h * w)


def normalize_batch(batch):
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    batch = batch.div_(255.0)
    return (batch - mean) / std


def goodness_loss(layer, x_pos, x_neg, threshold=2.0):
    def forward(x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return F.relu(torch.mm(x_direction, layer.weight.T) + layer.bias.unsqueeze(0))

    g_pos, g_neg = forward(x_pos).pow(2).mean(1), forward(x_neg).pow(2).mean(1)
    return torch.log1p(torch.exp(torch.cat([-g_pos + threshold, g_neg - threshold]))).mean()


def main(tmp="model_epoch.pth"):
    torch.manual_seed(0)
    assert not torch.xpu.is_available() and not torch.backends.mps.is_available()
    images, labels = digits(16)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    models = nn.ModuleDict({"sr": SuperRes(), "style": Stylizer(), "rnn": RowReader(), "ff": nn.Linear(64, 16)})
    same_weights(models, torch)
    optimizer = torch.optim.Adam(models.parameters(), lr=0.01)
    small = F.avg_pool2d(x, 2)
    for _ in range(3):
        optimizer.zero_grad()
        sr_loss = nn.MSELoss()(models["sr"](small), x)
        styled = normalize_batch(models["style"](x) * 255.0)
        target = styled.detach()
        style_loss = F.mse_loss(gram_matrix(styled), gram_matrix(torch.cat([target[1:], target[:1]])))
        rnn_loss = F.nll_loss(models["rnn"](x), y)
        flat = x.flatten(1)
        ff_loss = goodness_loss(models["ff"], flat, torch.cat([flat[8:], flat[:8]]))
        loss = sr_loss + style_loss + rnn_loss + ff_loss
        loss.backward()
        optimizer.step()
        for part in (sr_loss, style_loss, rnn_loss, ff_loss):
            print(f"loss {part.item():.8f}")

    models.eval()
    with torch.no_grad():
        log_probs = models["rnn"](x)
        pred = torch.where(log_probs.exp()[:, 0] > 0.5, 1, 0)
        correct = pred.eq((y == 0).long().view_as(pred)).sum().item()
    assert pred.dtype == torch.int64 and 0 <= correct <= 16
    assert np.array(y.clone()).tolist() == labels.tolist()
    assert torch.randint(4, size=(3,)).max().item() < 4

    torch.save(models["sr"], tmp)
    loaded = torch.load(tmp, weights_only=False)
    with torch.no_grad():
        print(f"loss {F.mse_loss(loaded(small), x).item():.8f}")


if __name__ == "__main__":
    main()
